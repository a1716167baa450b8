// The command's plain entry point, without the start-up bundle
// (src/start-up/launch.ts): the CLI loaded from dist/ file by file.
import { main } from './cli'

void main(process.argv)
