-- A participant opens one of their contracts, logged in with a session cookie.
dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
request = function()
  local v = pick(data.viewers)
  return wrk.format("GET", "/contracts/" .. pick(v.contracts) .. "/",
    {["Cookie"] = "sessionid=" .. v.session})
end
