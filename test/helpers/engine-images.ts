/**
 * How many images the engine has run for a model, read from a running server's /metrics:
 * `detectfn_batch_size_sum` grows by each engine batch's real items (padding excluded). The
 * admission test and the faults bench compare it with the images delivered to clients.
 */
export async function engineImages(serverUrl: string, model: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`, { headers })).text();
  const m = new RegExp(`^detectfn_batch_size_sum\\{model="${model}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
