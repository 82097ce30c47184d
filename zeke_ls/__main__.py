from zeke_ls.cli.main import main

raise SystemExit(main())
