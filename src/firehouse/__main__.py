from firehouse.cli import main

main()
