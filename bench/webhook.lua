-- wrk script for bench/webhook.py: end-of-call reports, each call id once, every 10th twice in a row, until LIMIT
-- ids per thread or NEW_IDS_SECONDS have passed; then the same reports again (VAPI re-deliveries: harmless, but
-- real work) until the time is up. New ids stop well before the end, so that every id's report has completed when
-- wrk stops and the rows can be counted exactly.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  sent = 0
  limit = tonumber(os.getenv("LIMIT") or "1000")
  assistant = os.getenv("ASSISTANT")
  secret = os.getenv("SECRET")
  pending = nil
  new_ids_until = os.time() + tonumber(os.getenv("NEW_IDS_SECONDS") or "6")
end

local template = '{"message":{"type":"end-of-call-report","endedReason":"customer-ended-call","cost":%s,' ..
  '"startedAt":"2026-11-20T10:00:00Z","endedAt":"2026-11-20T10:01:30Z","call":{"id":"%s","assistantId":"%s",' ..
  '"type":"webCall","status":"ended","createdAt":"2026-11-20T09:59:59Z"},"artifact":{"transcript":' ..
  '"AI: Hello!\\nUser: Hi.","messages":[{"role":"user","message":"Hi."}]},"analysis":{"summary":"A greeting."}}}'

local function body_for(n)
  local id = string.format("wrk-%d-%07d", tid, n)
  return string.format(template, string.format("%.4f", (n % 1000) * 0.001), id, assistant)
end

request = function()
  if tid == 1 and not verified then
    -- wrk calls request() once on the first thread to check the script, and never sends that request: it must
    -- not use up a call id.
    verified = true
    return wrk.format("POST", "/api/vapi/webhook", {["Content-Type"] = "application/json"}, "{}")
  end
  local n
  if pending then
    n, pending = pending, nil
  elseif counter < limit and os.time() < new_ids_until then
    counter = counter + 1
    n = counter
    if n % 10 == 0 then pending = n end
  else
    n = (sent % math.max(counter, 1)) + 1
  end
  sent = sent + 1
  return wrk.format("POST", "/api/vapi/webhook", {["Content-Type"] = "application/json", ["x-vapi-secret"] = secret},
    body_for(n))
end

function done(summary, latency, requests)
  local ids = 0
  local per_thread = {}
  for _, thread in ipairs(threads) do
    ids = ids + thread:get("counter")
    table.insert(per_thread, string.format("%d:%d", thread:get("tid"), thread:get("counter")))
  end
  io.write("WRKIDS " .. table.concat(per_thread, ",") .. "\n")
  io.write(string.format("WRK ids=%d requests=%d non2xx=%d errors=%d seconds=%.3f\n", ids, summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
