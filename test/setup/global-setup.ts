/**
 * Global set-up for the integration suite. Services that integration tests need (the Ceph
 * radosgw S3 server) are started here once and stopped on every exit path.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const teardowns: (() => Promise<void>)[] = [];
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
