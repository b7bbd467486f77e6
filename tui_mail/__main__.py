from tui_mail.launch import main

raise SystemExit(main())
