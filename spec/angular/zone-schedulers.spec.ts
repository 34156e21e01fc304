import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'rx-reliable-ws-zone-spec');

interface ScenarioReport {
  connected: boolean;
  hasPendingMacrotasks: boolean;
  isStable: boolean;
  onStableFired: boolean;
  pendingWhileAwaitingAck: boolean;
  acknowledged: boolean;
  rawInZone: boolean | undefined;
  enteredInZone: boolean | undefined;
}

type Report = Record<
  'outsideSchedulerConnectInZone' | 'outsideSchedulerConnectOutside' | 'defaultSchedulerConnectInZone',
  ScenarioReport
>;

/**
 * Bundles spec/angular/zone-app.ts like an Angular CLI build (target ES2016:
 * async/await become generators on the zone-aware Promise) and runs it with
 * real zone.js and @angular/core's NgZone against the reference server.
 */
async function runZoneApp(): Promise<Report> {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = join(OUT_DIR, 'zone-app.mjs');
  await build({
    entryPoints: [join(__dirname, 'zone-app.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2016',
    packages: 'external',
    logLevel: 'silent',
  });
  const { stdout } = await promisify(execFile)(process.execPath, [outfile], { cwd: ROOT, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
}

describe('zoneSchedulers / enterZone with zone.js and NgZone', () => {
  let report: Report;

  beforeAll(async () => {
    report = await runZoneApp();
  }, 90_000);

  it('with the outside scheduler, a connected client with heartbeats running lets the zone become stable', () => {
    expect(report.outsideSchedulerConnectInZone).toMatchObject({
      connected: true,
      acknowledged: true,
      pendingWhileAwaitingAck: false,
      hasPendingMacrotasks: false,
      isStable: true,
      onStableFired: true,
    });
  });

  it('control: with the default scheduler the heartbeat timers are zone macrotasks, so the zone never settles', () => {
    expect(report.defaultSchedulerConnectInZone.connected).toBe(true);
    expect(report.defaultSchedulerConnectInZone.hasPendingMacrotasks).toBe(true);
    expect(report.defaultSchedulerConnectInZone.pendingWhileAwaitingAck).toBe(true);
  });

  it('connected outside the zone, inbound messages arrive outside it and enterZone brings them inside', () => {
    expect(report.outsideSchedulerConnectOutside).toMatchObject({
      connected: true,
      hasPendingMacrotasks: false,
      isStable: true,
      rawInZone: false,
      enteredInZone: true,
    });
  });
});
