/**
 * The search tree of an MMDB file (MaxMind DB File Format Specification 2.0, "Search Tree
 * Section"), walked over address bytes, so a lookup parses no text. Pure: no I/O.
 */

/** Bits of an IPv4 address resolved by one index read. */
const INDEX_BITS = 16;

/** The metadata fields the walk needs (as the MMDB metadata map names them, camel-cased by mmdb-lib). */
export interface TreeMetadata {
  nodeCount: number;
  recordSize: number;
  ipVersion: number;
}

/** Thrown for metadata the walk cannot use. */
export class MmdbTreeError extends Error {
  override readonly name = 'MmdbTreeError';
  readonly code = 'E_MMDB_TREE';
}

/** A search tree over an MMDB file's bytes. */
export class MmdbTree {
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly nodeBytes: number;
  /** Where IPv4 lookups start: the node of ::/96 in an IPv6 tree, the root in an IPv4 tree. */
  private readonly ipv4Start: number;
  /** Bits walked by the last `find`: the prefix length of the network it ended in. */
  depth = 0;
  /**
   * The IPv4 walk's first 16 bits, flattened: for each value of an address's first two bytes,
   * the record reached (`index4Node`) and after how many bits (`index4Depth`, < 16 when the
   * walk ended early). A lookup then walks at most 16 bits. 320 KiB, built at open.
   */
  private readonly index4Node = new Uint32Array(1 << INDEX_BITS);
  private readonly index4Depth = new Uint8Array(1 << INDEX_BITS);
  /** The tree has IPv6 networks (metadata ip_version 6). An IPv4 tree is never walked with IPv6 bits. */
  readonly holdsIPv6: boolean;
  /** The tree has IPv4 networks: an IPv4 tree, or an IPv6 tree whose ::/96 subtree is not empty. */
  readonly holdsIPv4: boolean;

  constructor(private readonly db: Uint8Array, meta: TreeMetadata) {
    if (![24, 28, 32].includes(meta.recordSize)) throw new MmdbTreeError(`unsupported MMDB record size ${meta.recordSize}`);
    this.nodeCount = meta.nodeCount;
    this.recordSize = meta.recordSize;
    this.nodeBytes = (meta.recordSize * 2) / 8;
    if (db.length < this.nodeCount * this.nodeBytes) throw new MmdbTreeError('MMDB search tree runs past the end of the file');
    let node = 0;
    // Spec: in an IPv6 tree, IPv4 addresses are looked up as ::a.b.c.d (96 zero bits first).
    if (meta.ipVersion === 6) for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
    this.ipv4Start = node;
    this.holdsIPv6 = meta.ipVersion === 6;
    this.holdsIPv4 = node !== this.nodeCount;
    this.buildIndex4();
  }

  /** Fills the IPv4 index, sharing the walk of common prefixes (a depth-first pass). */
  private buildIndex4(): void {
    const fill = (node: number, depth: number, prefix: number): void => {
      if (depth === INDEX_BITS || node >= this.nodeCount) {
        // Every 16-bit value under `prefix` (depth bits) ends here.
        const span = 1 << (INDEX_BITS - depth);
        const from = prefix << (INDEX_BITS - depth);
        this.index4Node.fill(node, from, from + span);
        this.index4Depth.fill(depth, from, from + span);
        return;
      }
      fill(this.record(node, 0), depth + 1, prefix << 1);
      fill(this.record(node, 1), depth + 1, (prefix << 1) | 1);
    };
    fill(this.ipv4Start, 0, 0);
  }

  /**
   * The record value the walk for `bytes` (4 or 16) ends in: above the node count it points
   * into the data section; equal to it means "no data". `depth` is then the prefix length,
   * counted from the start node (IPv4 lookups: 0..32). IPv6 bytes in an IPv4 tree find no
   * data at depth 0 (libmaxminddb refuses such a lookup; walking it would follow IPv6 bits
   * through IPv4 networks).
   */
  find(bytes: Uint8Array): number {
    const bits = bytes.length * 8;
    if (bits === 128 && !this.holdsIPv6) {
      this.depth = 0;
      return this.nodeCount;
    }
    let node = 0;
    let depth = 0;
    if (bytes.length === 4) {
      const i = (bytes[0] << 8) | bytes[1];
      node = this.index4Node[i];
      depth = this.index4Depth[i];
    }
    for (; depth < bits && node < this.nodeCount; depth++) {
      const bit = (bytes[depth >> 3] >> (7 - (depth & 7))) & 1;
      node = this.record(node, bit);
    }
    this.depth = depth;
    return node;
  }

  /** True when `value` (from `find`) points at data. */
  isData(value: number): boolean {
    return value > this.nodeCount;
  }

  /** Left (0) or right (1) record of `node`. */
  private record(node: number, side: number): number {
    const db = this.db;
    const o = node * this.nodeBytes;
    switch (this.recordSize) {
      case 24: {
        const p = o + side * 3;
        return (db[p] << 16) | (db[p + 1] << 8) | db[p + 2];
      }
      case 28:
        // The middle byte holds the high nibble of the left (upper) and right (lower) record.
        return side === 0
          ? ((db[o + 3] & 0xf0) << 20) | (db[o] << 16) | (db[o + 1] << 8) | db[o + 2]
          : ((db[o + 3] & 0x0f) << 24) | (db[o + 4] << 16) | (db[o + 5] << 8) | db[o + 6];
      default: {
        const p = o + side * 4;
        return ((db[p] << 24) | (db[p + 1] << 16) | (db[p + 2] << 8) | db[p + 3]) >>> 0;
      }
    }
  }
}
