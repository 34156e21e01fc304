export { zoneSchedulers } from './zone-schedulers';
export type { ZoneSchedulers } from './zone-schedulers';
export { enterZone } from './enter-zone';
export { leaveZone } from './leave-zone';
export type { NgZoneLike } from './ng-zone-like';
