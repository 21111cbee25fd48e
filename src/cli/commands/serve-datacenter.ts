/**
 * What `anypick serve` needs for datacenter picks: the geo database (`--geoip-db`, reloaded on
 * change) and the DNS responders built from each loaded delivery model.
 */
import type { DeliveryModel } from '../../config/model';
import type { DynamicResponder } from '../../dns/dynamic';
import type { GeoDatabases } from '../../geo/databases';
import type { MemberStateSource } from '../../model/member-state';
import type { LatencySource } from '../../model/latency';
import { AnswerCounts } from '../../pick/answer-counts';
import { TrafficCounts } from '../../pick/traffic-counts';
import { datacenterResponders } from '../../pick/datacenter-responder';
import { datacenterServices } from '../../pick/datacenter-services';
import type { DcServiceSpec } from '../../pick/datacenter-services';
import type { Logger } from '../../util/log';
import { GEOIP_DB_OPTION, openGeoOption } from '../geo-option';

/** The `serve` options this module reads. */
export const DATACENTER_SERVE_OPTIONS = GEOIP_DB_OPTION;

/** Usage lines for `serve --help`. */
export const DATACENTER_SERVE_USAGE = `  --geoip-db FILE     geo database (MMDB: GeoIP2/GeoLite2-City, DB-IP lite or flat ip-location-db
                      layout) for datacenter picks; repeatable (e.g. an IPv4 and an IPv6 file: each
                      address is looked up in the files of its family); each file is reloaded when
                      it changes (default geo-data/sample.mmdb; 'none' for no database)`;

/** Datacenter picks of a running server. */
export class DatacenterPicks {
  /** Answers per member, counted by every responder this builds. */
  readonly counts = new AnswerCounts();
  /** Answers per member and client region (the traffic map). */
  readonly traffic = new TrafficCounts();

  private constructor(readonly geo: GeoDatabases | undefined, private readonly logger: Logger, private readonly state?: MemberStateSource, private readonly latency?: LatencySource) {}

  /** Opens `--geoip-db` (throws GeoDatabaseError when a named file is missing or invalid). */
  static open(geoipDb: unknown, logger: Logger, state?: MemberStateSource, latency?: LatencySource): DatacenterPicks {
    const geo = openGeoOption(geoipDb, { watch: true, log: logger });
    logger.info({ geoipDb: geo?.files ?? null }, geo ? 'geo database opened' : 'no geo database: datacenter picks see every client location as unknown');
    return new DatacenterPicks(geo, logger, state, latency);
  }

  /** The datacenter picks of the model last turned into responders. */
  specs: DcServiceSpec[] = [];

  /** The responders for every datacenter pick of `model`. */
  responders(model: DeliveryModel): DynamicResponder[] {
    const specs = datacenterServices(model);
    this.specs = specs;
    if (specs.length) this.logger.info({ picks: specs.map((s) => ({ service: s.service, name: s.name, members: s.members.length })) }, 'datacenter picks');
    return datacenterResponders(specs, { geo: this.geo, state: this.state, counts: this.counts, traffic: this.traffic, latency: this.latency });
  }

  /** Stops watching the geo database. */
  close(): void {
    this.geo?.close();
  }
}
