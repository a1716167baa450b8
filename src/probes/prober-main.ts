// The pod's prober process: a plain Node script the addon starts inside the
// pod's network namespace only (prober-client.ts), because Node itself may
// never setns(2). It reads one JSON request per line on stdin, runs it
// concurrently with the others, and writes one JSON response per line on
// stdout; it exits when stdin closes (the supervisor closed it or died).
// Node built-ins only, and no dependency on anything outside src/probes.
import { createInterface } from 'node:readline'
import { grpcCheck } from './prober-grpc'
import { httpCheck, tcpCheck } from './prober-net'
import type { ProberRequest, ProberResponse } from './prober-protocol'

function run(req: ProberRequest): Promise<ProberResponse> {
  switch (req.kind) {
    case 'tcp':
      return tcpCheck(req)
    case 'http':
      return httpCheck(req)
    case 'grpc':
      return grpcCheck(req)
  }
}

function reply(response: ProberResponse): void {
  process.stdout.write(`${JSON.stringify(response)}\n`)
}

function main(): void {
  // a failed write (the supervisor is gone) ends the prober instead of crashing noisily
  process.stdout.on('error', () => process.exit(0))
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    let req: ProberRequest
    try {
      req = JSON.parse(line) as ProberRequest
    } catch (err) {
      process.stderr.write(`prober: parse request: ${(err as Error).message}\n`)
      return
    }
    run(req).then(reply, (err: Error) => reply({ id: req.id, error: `prober: ${err.message}` }))
  })
  lines.on('close', () => process.exit(0))
}

main()
