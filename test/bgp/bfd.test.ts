import { expect } from 'chai';
import pino from 'pino';
import { BFD_DIAG, BFD_STATE, BfdPacketError, decodeControl, encodeControl } from '../../src/bgp/bfd/packet';
import type { ControlPacket } from '../../src/bgp/bfd/packet';
import { BfdMachine } from '../../src/bgp/bfd/machine';
import { BfdLink } from '../../src/bgp/bfd/link';
import { requireAddon } from '../support/tools';
import { until } from './support/bird';

const pkt = (p: Partial<ControlPacket>): ControlPacket => ({
  version: 1, diag: 0, state: BFD_STATE.Down, poll: false, final: false, cpi: false, auth: false, demand: false, multipoint: false,
  detectMult: 3, myDisc: 0x11111111, yourDisc: 0, desiredMinTx: 1_000_000, requiredMinRx: 100_000, requiredMinEchoRx: 0, ...p,
});

describe('bfd control packet codec (RFC 5880 §4.1)', () => {
  it('encodes byte for byte and decodes back', () => {
    const p = pkt({ state: BFD_STATE.Up, poll: true, diag: BFD_DIAG.ControlDetectionTimeExpired, yourDisc: 0x22222222 });
    const b = encodeControl(p);
    expect(b.toString('hex')).to.equal('21' + 'e0' + '03' + '18' + '11111111' + '22222222' + '000f4240' + '000186a0' + '00000000');
    expect(decodeControl(b)).to.deep.equal(p);
  });
  const bad: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['short datagram', (b) => b.subarray(0, 23), /shorter than 24/],
    ['version 2', (b) => { b[0] = 0x40; return b; }, /version 2/],
    ['Length beyond the datagram', (b) => { b[3] = 30; return b; }, /exceeds the datagram/],
    ['Length below 24', (b) => { b[3] = 20; return b; }, /too small/],
    ['Detect Mult 0', (b) => { b[2] = 0; return b; }, /Detect Mult is zero/],
    ['Multipoint', (b) => { b[1]! |= 1; return b; }, /Multipoint/],
    ['My Discriminator 0', (b) => { b.writeUInt32BE(0, 4); return b; }, /My Discriminator is zero/],
    ['Your Discriminator 0 in Up', (b) => { b[1] = 0xc0; return b; }, /Your Discriminator is zero in state Up/],
    ['authentication', (b) => { b[1]! |= 4; b[3] = 24; return Buffer.concat([b, Buffer.alloc(4)]); }, /too small|authentication/],
  ];
  for (const [name, mutate, msg] of bad) {
    it(`discards: ${name}`, () => expect(() => decodeControl(mutate(encodeControl(pkt({}))))).to.throw(BfdPacketError, msg));
  }
});

describe('bfd state machine (RFC 5880 §6.8.6, time injected)', () => {
  const timing = { intervalMs: 100, multiplier: 3 };

  it('three-way handshake Down → Init → Up, then the fast rate announced with a Poll Sequence', () => {
    const m = new BfdMachine(0xaaaa, timing, 0);
    expect(m.poll(0, 0).send!.state).to.equal(BFD_STATE.Down);
    expect(m.desiredMinTx, 'slow while not Up (§6.8.3)').to.equal(1_000_000);
    expect(m.receive(pkt({ state: BFD_STATE.Down }), 10)).to.deep.equal({ from: 'Down', to: 'Init', diag: 0 });
    expect(m.receive(pkt({ state: BFD_STATE.Up, yourDisc: 0xaaaa }), 20)).to.deep.equal({ from: 'Init', to: 'Up', diag: 0 });
    expect(m.desiredMinTx).to.equal(100_000);
    const p = m.poll(20, 0).send!;
    expect([p.state, p.poll, p.yourDisc]).to.deep.equal([BFD_STATE.Up, true, 0x11111111]);
    m.receive(pkt({ state: BFD_STATE.Up, yourDisc: 0xaaaa, final: true, desiredMinTx: 100_000 }), 30);
    expect(m.pollActive).to.equal(false);
  });

  it('answers a Poll with a Final at once, without the P bit', () => {
    const m = new BfdMachine(0xaaaa, timing, 0);
    m.poll(0, 0);
    m.receive(pkt({ state: BFD_STATE.Down, poll: true }), 5);
    expect(m.nextWake()).to.equal(0);
    const r = m.poll(5, 0).send!;
    expect([r.final, r.poll]).to.deep.equal([true, false]);
  });

  it('Down → Up directly when the peer is already in Init', () => {
    const m = new BfdMachine(1, timing, 0);
    expect(m.receive(pkt({ state: BFD_STATE.Init, yourDisc: 1 }), 0)?.to).to.equal('Up');
  });

  it('the detection time (remote Detect Mult × max(our RequiredMinRx, their DesiredMinTx)) expires → Down, diag 1', () => {
    const m = new BfdMachine(1, timing, 0);
    m.receive(pkt({ state: BFD_STATE.Init, yourDisc: 1, desiredMinTx: 100_000 }), 0);
    expect(m.detectionTimeMs()).to.equal(300);
    expect(m.poll(299, 0).change).to.equal(undefined);
    expect(m.poll(300, 0).change).to.deep.equal({ from: 'Up', to: 'Down', diag: BFD_DIAG.ControlDetectionTimeExpired });
    expect(m.remoteDisc, 'zeroed after the detection time').to.equal(0);
    expect(m.desiredMinTx).to.equal(1_000_000);
  });

  it('the peer saying Down or AdminDown takes an Up session Down with diag 3', () => {
    for (const state of [BFD_STATE.Down, BFD_STATE.AdminDown]) {
      const m = new BfdMachine(1, timing, 0);
      m.receive(pkt({ state: BFD_STATE.Init, yourDisc: 1 }), 0);
      expect(m.receive(pkt({ state, yourDisc: state === BFD_STATE.Down ? 0 : 1 }), 10)).to.deep.equal({ from: 'Up', to: 'Down', diag: BFD_DIAG.NeighborSignaledDown });
    }
  });

  it('transmits at max(DesiredMinTx, RemoteMinRx) with 0–25 % jitter, and not at all while RemoteMinRx is 0', () => {
    const m = new BfdMachine(1, timing, 0);
    m.receive(pkt({ state: BFD_STATE.Init, yourDisc: 1, requiredMinRx: 200_000 }), 0);
    m.poll(0, 0);
    expect(m.nextWake()).to.equal(200);
    m.poll(200, 1);
    expect(m.nextWake()).to.equal(350);
    m.receive(pkt({ state: BFD_STATE.Up, yourDisc: 1, requiredMinRx: 0 }), 360);
    expect(m.poll(1000, 0).send).to.equal(undefined);
  });

  it('AdminDown (diag 7) on stop', () => {
    const m = new BfdMachine(1, timing, 0);
    const p = m.adminDown();
    expect([p.state, p.diag]).to.deep.equal([BFD_STATE.AdminDown, BFD_DIAG.AdministrativelyDown]);
  });
});

describe('bfd links over UDP on loopback (TTL 255 sent and required)', function () {
  this.timeout(10000);
  before(function () {
    requireAddon(this, 'anypick_sockopt');
  });

  it('two links come Up; stopping one (AdminDown) takes the other Down', async () => {
    const port = 30000 + Math.floor(Math.random() * 20000);
    const log = pino({ level: 'silent' });
    const seen: string[] = [];
    const a = new BfdLink({ peer: '127.0.0.2', local: '127.0.0.1', timing: { intervalMs: 50, multiplier: 3 }, log, port, onChange: (c) => seen.push(`${c.from}>${c.to}`) });
    const b = new BfdLink({ peer: '127.0.0.1', local: '127.0.0.2', timing: { intervalMs: 50, multiplier: 3 }, log, port, onChange: () => undefined });
    try {
      a.start();
      b.start();
      expect(await until(() => a.isUp() && b.isUp(), 5000, 10)).to.equal(true);
      b.stop();
      expect(await until(() => !a.isUp(), 3000, 10)).to.equal(true);
      expect(seen).to.include('Up>Down');
      expect(a.downs).to.equal(1);
    } finally {
      a.stop();
      b.stop();
    }
  });
});
