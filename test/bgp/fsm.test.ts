import { expect } from 'chai';
import { step, negotiate } from '../../src/bgp/fsm';
import type { Event, FsmContext, State } from '../../src/bgp/fsm';
import { Open, standardCapabilities } from '../../src/bgp/wire/open';
import { Notification } from '../../src/bgp/wire/notification';
import { Update } from '../../src/bgp/wire/update';
import { MessageError } from '../../src/bgp/wire/errors';

const ctx: FsmContext = {
  passive: false, localAsn: 64511, peerAsn: 65536, holdTime: 90, routerId: '198.51.100.1',
  families: [{ afi: 2, safi: 1 }, { afi: 1, safi: 1 }],
};
const peerOpen = (o: Partial<{ asn: number; holdTime: number; routerId: string; fams: { afi: number; safi: number }[] }> = {}) =>
  new Open({ asn: o.asn ?? 65536, holdTime: o.holdTime ?? 9, routerId: o.routerId ?? '198.51.100.2', capabilities: standardCapabilities(o.asn ?? 65536, o.fams ?? [{ afi: 2, safi: 1 }]) });

type Row = [State, Event, State, string, string?];
const rows: Row[] = [
  ['Idle', { type: 'start' }, 'Connect', 'start'],
  ['Idle', { type: 'keepalive' }, 'Idle', 'ignored'],
  ['Connect', { type: 'tcp-connected' }, 'OpenSent', 'tcp-connected'],
  ['Connect', { type: 'tcp-failed' }, 'Active', 'tcp-failed'],
  ['Connect', { type: 'connect-retry-expired' }, 'Connect', 'connect-retry-expired'],
  ['Active', { type: 'connect-retry-expired' }, 'Connect', 'connect-retry-expired'],
  ['Active', { type: 'tcp-connected' }, 'OpenSent', 'tcp-connected'],
  ['OpenSent', { type: 'open', open: peerOpen() }, 'OpenConfirm', 'open-accepted'],
  ['OpenSent', { type: 'open', open: peerOpen({ asn: 65000 }) }, 'Idle', 'open-rejected', '2/2'],
  ['OpenSent', { type: 'keepalive' }, 'Idle', 'unexpected-message', '5/1'],
  ['OpenSent', { type: 'tcp-failed' }, 'Active', 'tcp-failed'],
  ['OpenSent', { type: 'hold-expired' }, 'Idle', 'hold-timer-expired', '4/0'],
  ['OpenSent', { type: 'stop' }, 'Idle', 'stop', '6/2'],
  ['OpenConfirm', { type: 'keepalive' }, 'Established', 'keepalive-received'],
  ['OpenConfirm', { type: 'update', update: new Update({}) }, 'Idle', 'unexpected-message', '5/2'],
  ['OpenConfirm', { type: 'notification', notification: new Notification(6, 2) }, 'Idle', 'notification-received', '6/2'],
  ['OpenConfirm', { type: 'collision-dump' }, 'Idle', 'collision-dump', '6/7'],
  ['Established', { type: 'keepalive' }, 'Established', 'keepalive-received'],
  ['Established', { type: 'update', update: new Update({}) }, 'Established', 'update-received'],
  ['Established', { type: 'route-refresh', family: { afi: 2, safi: 1 } }, 'Established', 'route-refresh-received'],
  ['Established', { type: 'open', open: peerOpen() }, 'Idle', 'unexpected-message', '5/3'],
  ['Established', { type: 'hold-expired' }, 'Idle', 'hold-timer-expired', '4/0'],
  ['Established', { type: 'message-error', error: new MessageError(3, 10, 'bad nlri') }, 'Idle', 'message-error', '3/10'],
  ['Established', { type: 'tcp-failed' }, 'Idle', 'tcp-failed'],
  ['Established', { type: 'stop', notification: Notification.adminShutdown('x') }, 'Idle', 'stop', '6/2'],
  // RFC 9384: BFD Down ends a session at once with Cease/BFD Down; before OpenSent it is ignored.
  ['Established', { type: 'bfd-down' }, 'Idle', 'bfd-down', '6/10'],
  ['OpenConfirm', { type: 'bfd-down' }, 'Idle', 'bfd-down', '6/10'],
  ['Connect', { type: 'bfd-down' }, 'Connect', 'ignored'],
  ['Active', { type: 'bfd-down' }, 'Active', 'ignored'],
  ['Idle', { type: 'bfd-down' }, 'Idle', 'ignored'],
];

describe('bgp FSM (RFC 4271 §8): one function per state', () => {
  for (const [from, e, to, reason, err] of rows) {
    it(`${from} + ${e.type} → ${to} (${reason}${err ? ', ' + err : ''})`, () => {
      const t = step(from, e, ctx);
      expect([t.next, t.reason]).to.deep.equal([to, reason]);
      const sent = t.actions.find((a) => a.do === 'notify');
      const got = t.error ? `${t.error.errorCode}/${t.error.subcode}` : undefined;
      expect(got).to.equal(err);
      // A NOTIFICATION is sent exactly when we end the session for a reason of our own.
      expect(Boolean(sent)).to.equal(Boolean(err) && e.type !== 'notification');
      if (to === 'Idle' && from !== 'Idle') expect(t.actions.some((a) => a.do === 'drop')).to.equal(true);
    });
  }
  it('passive sessions wait in Active and never connect', () => {
    const p = { ...ctx, passive: true };
    expect(step('Idle', { type: 'start' }, p).next).to.equal('Active');
    const t = step('Active', { type: 'connect-retry-expired' }, p);
    expect([t.next, t.actions.some((a) => a.do === 'connect')]).to.deep.equal(['Active', false]);
  });
  it('OpenSent → OpenConfirm sends KEEPALIVE and arms the negotiated timers', () => {
    const t = step('OpenSent', { type: 'open', open: peerOpen() }, ctx);
    expect(t.actions.map((a) => a.do)).to.deep.equal(['negotiated', 'send-keepalive', 'hold-timer', 'keepalive-timer']);
  });
});

describe('bgp OPEN negotiation', () => {
  it('takes the smaller hold time and keepalive at a third of it', () => {
    const n = negotiate(peerOpen({ holdTime: 9 }), ctx);
    expect([n.holdTime, n.keepaliveTime, n.as4, n.routeRefresh, n.peerRouterId]).to.deep.equal([9, 3, true, true, '198.51.100.2']);
  });
  it('hold time 0 means no keepalives', () => {
    expect(negotiate(peerOpen({ holdTime: 0 }), ctx)).to.deep.include({ holdTime: 0, keepaliveTime: 0 });
  });
  it('keeps only families both sides announced; none announced means IPv4 unicast', () => {
    expect(negotiate(peerOpen({ fams: [{ afi: 2, safi: 1 }] }), ctx).families).to.deep.equal([{ afi: 2, safi: 1 }]);
    const bare = new Open({ asn: 65536, holdTime: 9, routerId: '198.51.100.2', capabilities: [] });
    expect(negotiate(bare, ctx).families).to.deep.equal([{ afi: 1, safi: 1 }]);
  });
  it('rejects a wrong peer AS (2/2) and our own identifier on iBGP (2/3)', () => {
    expect(() => negotiate(peerOpen({ asn: 1 }), ctx)).to.throw(MessageError).with.property('subcode', 2);
    const ibgp = { ...ctx, peerAsn: 64511 };
    expect(() => negotiate(peerOpen({ asn: 64511, routerId: ctx.routerId }), ibgp)).to.throw(MessageError).with.property('subcode', 3);
  });
});
