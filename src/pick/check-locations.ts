import type { DeliveryModel } from '../config/model';
import { SourceError } from '../util/source-error';
import { memberLocationWarnings } from './datacenter-responder';
import { datacenterServices } from './datacenter-services';
import { openGeoOption } from './geo-option';

/** Warning code for a datacenter-pick member that cannot be placed on the globe. */
export const W_NO_LOCATION = 'W_DATACENTER_NO_LOCATION';

/**
 * `anypick check`'s warnings for datacenter-pick members with no location: neither explicit
 * coordinates nor a block found in the geo database (`geoipDb` as `--geoip-db`: a file, 'none',
 * or undefined for the sample database). Throws GeoDatabaseError for an unreadable file.
 */
export function datacenterLocationWarnings(model: DeliveryModel, geoipDb?: unknown): SourceError[] {
  const specs = datacenterServices(model);
  if (specs.length === 0) return [];
  const geo = openGeoOption(geoipDb, { watch: false });
  try {
    return memberLocationWarnings(specs, geo).map((w) => new SourceError(w.pos, w.message, W_NO_LOCATION));
  } finally {
    geo?.close();
  }
}
