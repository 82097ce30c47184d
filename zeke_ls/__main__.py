from zeke_ls.cli import main

raise SystemExit(main())
