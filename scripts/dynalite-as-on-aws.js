// Runs dynalite's suite the way it runs against AWS: its slow tests, which load many large
// items into 5 WCU tables and which the suite skips against the service (REMOTE without
// SLOW_TESTS), are skipped here too. Use with mocha: --require scripts/dynalite-as-on-aws.js
// (in the suite's directory, with DYNAMO_ENDPOINT pointing at the emulator).
const path = require('path')
require(path.join(process.cwd(), 'test', 'helpers.js')).runSlowTests = false
