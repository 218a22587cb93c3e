/**
 * Global set-up for the integration suite. Services that integration tests need (the Ceph
 * radosgw S3 server) are started here once and stopped on every exit path. Tests reach them
 * with `inject('radosgw')`.
 */
import type { TestProject } from 'vitest/node';
import { startRadosgw, type RadosgwConnection } from '../helpers/radosgw.js';

declare module 'vitest' {
  export interface ProvidedContext {
    radosgw: RadosgwConnection;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardowns: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const t of teardowns.reverse()) await t();
  };
  try {
    const rgw = await startRadosgw();
    teardowns.push(rgw.stop);
    const { endpoint, region, accessKeyId, secretAccessKey } = rgw;
    project.provide('radosgw', { endpoint, region, accessKeyId, secretAccessKey });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
