-- wrk script for every bench scenario. Environment: BENCH_MODE (put|get|list|email|deep|
-- deepk|mixed|bulk|http_put|http_get|http_list), BENCH_KEY, BENCH_IDS (id<TAB>email lines),
-- BENCH_WORKSPACE, BENCH_AFTER (deepk: the contact id the keyset page starts after).
-- Prints one line "WRKJSON {...}" with the summary.
local mode = os.getenv("BENCH_MODE") or "put"
local key = os.getenv("BENCH_KEY") or ""
local ws = os.getenv("BENCH_WORKSPACE") or ""
local after = os.getenv("BENCH_AFTER") or ""
local ids, emails = {}, {}
local serial = 0
local tag

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  tag = tostring(math.random(1, 1e9))
  local path = os.getenv("BENCH_IDS")
  if path then
    for line in io.lines(path) do
      local id, email = line:match("^(%S+)\t(%S+)$")
      if id then
        ids[#ids + 1] = id
        emails[#emails + 1] = email
      end
    end
  end
end

local auth = { ["Authorization"] = "Bearer " .. key }
local json_auth = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }

local function put_one(i)
  local body = '{"email":"' .. emails[i] .. '","name":"n' .. math.random(1, 2e9) ..
    '","custom_fields":{"plan":"pro"}}'
  return wrk.format("PUT", "/v1/contacts/" .. ids[i], json_auth, body)
end

local function bulk_body()
  local items = {}
  for j = 1, 500 do
    local i = math.random(#ids)
    items[#items + 1] = '{"email":"' .. emails[i] .. '","name":"b' .. math.random(1, 2e9) .. '"}'
    serial = serial + 1
    items[#items + 1] = '{"email":"new-' .. tag .. '-' .. serial .. '@bench.example","name":"New"}'
  end
  return '{"newsletter_id":"' .. ws .. '","contacts":[' .. table.concat(items, ",") .. ']}'
end

function request()
  local i = math.random(#ids)
  if mode == "put" or mode == "http_put" then
    return put_one(i)
  elseif mode == "get" or mode == "http_get" then
    return wrk.format("GET", "/v1/contacts/" .. ids[i], auth)
  elseif mode == "mixed" then
    if math.random(10) <= 2 then return put_one(i) end
    return wrk.format("GET", "/v1/contacts/" .. ids[i], auth)
  elseif mode == "list" or mode == "http_list" then
    return wrk.format("GET", "/v1/contacts?newsletter_id=" .. ws .. "&limit=100", auth)
  elseif mode == "email" then
    return wrk.format("GET", "/v1/contacts?newsletter_id=" .. ws .. "&email=" .. emails[i], auth)
  elseif mode == "deep" then
    return wrk.format("GET", "/v1/contacts?newsletter_id=" .. ws .. "&limit=100&page=5000", auth)
  elseif mode == "deepk" then
    return wrk.format("GET", "/v1/contacts?newsletter_id=" .. ws .. "&limit=100&after=" .. after, auth)
  elseif mode == "bulk" then
    return wrk.format("POST", "/v1/contacts", json_auth, bulk_body())
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"rate":%.2f,"p50_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
