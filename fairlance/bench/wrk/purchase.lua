-- Many buyers (pre-created API tokens) buy with the sandbox card; a third of the purchases
-- go to a few hot projects so capacity runs out under contention; 5% of requests repeat an
-- earlier request with the same Idempotency-Key, which must not buy twice.
dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
local sent = {}
local counter = 0
function scenario_init() end
request = function()
  if #sent > 0 and math.random() < 0.05 then
    local old = pick(sent)
    return wrk.format("POST", old.path, old.headers, old.body)
  end
  counter = counter + 1
  local item
  if math.random() < 0.33 then item = pick(data.hot_offers) else item = pick(data.offers) end
  local path = "/api/v1/projects/" .. item[1] .. "/purchase"
  local body = '{"tier_id": ' .. item[2] .. ', "card_number": "4242424242424242"}'
  local headers = {
    ["Authorization"] = "Bearer " .. pick(data.buyer_tokens),
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%s-%d-%d-%d", data.run_id, thread_id, counter, math.random(1e9)),
  }
  local req = {path = path, headers = headers, body = body}
  if #sent < 500 then table.insert(sent, req) else sent[math.random(500)] = req end
  return wrk.format("POST", path, headers, body)
end
