/** Upper bounds (seconds) of the request-duration buckets. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: { method: string; route: string; status_code: number };
  /** Observations per bucket (the last one is +Inf), not yet cumulative. */
  counts: number[];
  sum: number;
}

/**
 * http_request_duration_seconds as a prom-client registry sees a metric (name, help, type, get()), kept in plain
 * arrays: a request costs one Map lookup and a short bucket search, where prom-client's Histogram hashes the
 * labels of every observation (measure with bench/ab.mjs --env-b METRICS_PORT=0).
 */
export class RequestHistogram {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'Time to answer a request, by method, route pattern and status code.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #series = new Map<string, Series>();

  /** Records one answered request. */
  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let series = this.#series.get(key);
    if (!series) {
      series = { labels: { method, route, status_code: statusCode }, counts: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0 };
      this.#series.set(key, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket += 1;
    series.counts[bucket]! += 1;
    series.sum += seconds;
  }

  /** The samples in prom-client's shape: cumulative buckets with `le`, then the sum and the count of each series. */
  async get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const { labels, counts, sum } of this.#series.values()) {
      let cumulative = 0;
      counts.forEach((count, index) => {
        cumulative += count;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: index < BUCKETS.length ? BUCKETS[index]! : '+Inf' }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
