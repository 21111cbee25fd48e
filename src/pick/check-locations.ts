import type { DeliveryModel } from '../config/model';
import { SourceError } from '../util/source-error';
import { memberLocationWarnings } from './datacenter-responder';
import { datacenterServices } from './datacenter-services';
import type { GeoSource } from './datacenter-responder';

/** Warning code for a datacenter-pick member that cannot be placed on the globe. */
export const W_NO_LOCATION = 'W_DATACENTER_NO_LOCATION';

/**
 * `anypick check`'s warnings for datacenter-pick members with no location: neither explicit
 * coordinates nor a block found in the geo database. `openGeo` is called only when the model has
 * datacenter picks (the caller opens `--geoip-db`; it may throw GeoDatabaseError); the database
 * is closed before this returns.
 */
export function datacenterLocationWarnings(model: DeliveryModel, openGeo: () => (GeoSource & { close(): void }) | undefined): SourceError[] {
  const specs = datacenterServices(model);
  if (specs.length === 0) return [];
  const geo = openGeo();
  try {
    return memberLocationWarnings(specs, geo).map((w) => new SourceError(w.pos, w.message, W_NO_LOCATION));
  } finally {
    geo?.close();
  }
}
