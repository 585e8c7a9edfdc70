// Loaded into dynalite with `node -r`: dynalite rethrows a request's 'error' event, so a client
// that dies in the middle of a request ('aborted', ECONNRESET) would end the whole server, where
// DynamoDB just drops that one request. Anything else still ends the process.
'use strict'
const DROPPED_REQUEST = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE'])

process.on('uncaughtException', (error) => {
  if (error && (DROPPED_REQUEST.has(error.code) || error.message === 'aborted')) return
  console.error(error)
  process.exit(1)
})
