/** A point on the globe, degrees (WGS 84 latitude -90..90, longitude -180..180). */
export interface GeoPoint {
  lat: number;
  lon: number;
}
