dofile(os.getenv("FL_BENCH_LUA_DIR") .. "/common.lua")
request = function() return wrk.format("GET", "/projects/" .. pick(data.project_ids) .. "/") end
