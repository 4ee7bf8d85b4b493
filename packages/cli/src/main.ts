import { main } from "./Cli"

main()
