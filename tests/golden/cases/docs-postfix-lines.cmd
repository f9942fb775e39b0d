# The main.cf lines of packaging/postfix/main.cf.{inet,unix,policy} are the ones README.md, packaging/README-packaging.txt and milter-verdict(8) show, and none equals the installed Postfix's default (postconf -d).
python3 ./check-postfix-lines.py ../..
