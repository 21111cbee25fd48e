import { BlockList } from 'node:net';
import { isIpAddress } from '../util/ip';
import { parseBlock } from './tokens';

/**
 * True when `address` lies inside `block` (`ADDR/LEN`). A reported address must be inside its
 * member's block (seed README: "a report outside the block is rejected").
 */
export function addressInBlock(address: string, block: string): boolean {
  const b = parseBlock(block);
  const fam = isIpAddress(address);
  if (!b || fam === 0 || fam !== b.family) return false;
  const list = new BlockList();
  const type = b.family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(b.address, b.prefix, type);
  return list.check(address, type);
}
