/**
 * @module test/helpers/ceph/conf
 * The ceph.conf of a throwaway one-node cluster (1 mon, 1 memstore OSD, radosgw), tuned to start
 * in about a second. Each setting is here because the default breaks or slows a one-node cluster
 * (see /work/shared/notes/environment.md).
 */

export interface CephConfInput {
  readonly dir: string;
  readonly fsid: string;
  readonly monPort: number;
  readonly rgwPort: number;
  /** Memstore size: every object lives in the OSD's RAM. */
  readonly osdBytes: number;
}

export function cephConf(c: CephConfInput): string {
  const modes = ['ms mon client mode', 'ms client mode', 'ms cluster mode', 'ms service mode', 'ms mon cluster mode', 'ms mon service mode'];
  return [
    '[global]',
    `fsid = ${c.fsid}`,
    `mon host = [v2:127.0.0.1:${c.monPort}]`,
    'ms bind msgr1 = false',
    // No cephx, but radosgw only connects when every messenger mode still allows crc/secure.
    'auth cluster required = none',
    'auth service required = none',
    'auth client required = none',
    ...modes.map((m) => `${m} = crc secure`),
    'osd pool default size = 1',
    'osd pool default min size = 1',
    'osd pool default pg num = 8',
    'osd pool default pgp num = 8',
    'osd pool default pg autoscale mode = off',
    // One OSD: replicas may share a host (must be set before the mon's mkfs builds the crush rule).
    'osd crush chooseleaf type = 0',
    'mon allow pool size one = true',
    'mon warn on pool no redundancy = false',
    'osd objectstore = memstore',
    `memstore device bytes = ${c.osdBytes}`,
    // Default paxos timings make the start take ~13 s.
    'paxos propose interval = 0.01',
    'paxos min wait = 0.001',
    // Ops sent before the OSD's first PGs are active are only resent on the objecter tick.
    'objecter tick interval = 0.1',
    `run dir = ${c.dir}/run`,
    `admin socket = ${c.dir}/run/$name.asok`,
    `log file = ${c.dir}/log/$name.log`,
    `pid file = ${c.dir}/run/$name.pid`,
    `keyring = ${c.dir}/keyring`,
    '[mon.a]',
    `mon data = ${c.dir}/mon`,
    '[osd.0]',
    `osd data = ${c.dir}/osd`,
    '[client.rgw]',
    `rgw data = ${c.dir}/rgw`,
    // Background threads a throwaway server never needs; their sleeps delay shutdown by ~5 s.
    'rgw enable lc threads = false',
    'rgw enable gc threads = false',
    'rgw enable quota threads = false',
    'rgw dynamic resharding = false',
    // Without tcp_nodelay small requests take ~47 ms (Nagle + delayed ACK).
    `rgw frontends = beast endpoint=127.0.0.1:${c.rgwPort} tcp_nodelay=1`,
    '',
  ].join('\n');
}
