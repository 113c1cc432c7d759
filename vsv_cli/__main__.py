from vsv_cli.app import main

main()
