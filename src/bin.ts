// The command's plain entry point: bin/podshim starts Node here when there is
// no start-up snapshot to start from (src/snapshot/build.ts).
import { main } from './cli'

void main(process.argv)
