from eduplus.cli import main

main()
