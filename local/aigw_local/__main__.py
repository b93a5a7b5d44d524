from aigw_local.server import main

main()
