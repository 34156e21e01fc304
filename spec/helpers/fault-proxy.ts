export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type FaultDirection,
} from '../../src/cli/fault-proxy';
export { chaos, type ChaosOptions, type ChaosEvent, type ChaosHandle } from '../../src/cli/chaos';
