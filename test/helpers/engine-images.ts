/**
 * How many images the engine has run for a model, read from a running server's /metrics:
 * `detectfn_batch_size_sum` grows by each engine batch's real items (padding excluded). The
 * admission test and the faults bench compare it with the images delivered to clients.
 * `waitForQueueDepth` waits on the live queue depth, so a test can line work up behind a backlog
 * without sleeping.
 */
export async function engineImages(serverUrl: string, model: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`, { headers })).text();
  const m = new RegExp(`^detectfn_batch_size_sum\\{model="${model}",version="[^"]*"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Waits until `model`'s live queue depth (detectfn_queue_depth, read at scrape) reaches `n`. */
export async function waitForQueueDepth(serverUrl: string, model: string, n: number, headers: Record<string, string> = {}): Promise<void> {
  const re = new RegExp(`^detectfn_queue_depth\\{model="${model}",version="[^"]*"\\} (\\d+)`, 'm');
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
    const m = re.exec(await (await fetch(`${serverUrl}/metrics`, { headers })).text());
    if (m && Number(m[1]) >= n) return;
  }
  throw new Error(`queue depth of ${model} never reached ${n}`);
}
