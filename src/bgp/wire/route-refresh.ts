import { ERR } from './constants';
import { MessageError } from './errors';

/** ROUTE-REFRESH message body (RFC 2918 §3): AFI, reserved, SAFI. */
export class RouteRefresh {
  constructor(readonly afi: number, readonly safi: number) {}

  encode(): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(this.afi, 0);
    b.writeUInt8(this.safi, 3);
    return b;
  }

  /** `message` is the whole message with its header: RFC 7313 §5 puts it in the NOTIFICATION data. */
  static decode(body: Buffer, message: Buffer = body): RouteRefresh {
    // RFC 7313 §5: a ROUTE-REFRESH whose length is not 23 is error 7/1 carrying the complete message.
    if (body.length !== 4) throw new MessageError(ERR.ROUTE_REFRESH, 1, `ROUTE-REFRESH body of ${body.length} octets`, { data: Buffer.from(message) });
    return new RouteRefresh(body.readUInt16BE(0), body.readUInt8(3));
  }
}
