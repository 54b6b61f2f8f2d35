-- wrk script: plain GETs, with the summary line bench/webhook.py reads.
function done(summary, latency, requests)
  io.write(string.format("WRK ids=0 requests=%d non2xx=%d errors=%d seconds=%.3f\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
