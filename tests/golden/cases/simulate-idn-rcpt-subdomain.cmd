$MV simulate -c configs/idn.conf --client 192.0.2.7 --helo mx.example.org --from a@example.org --rcpt b@mx.xn--mnchen-3ya.example --rcpt c@MAIL.MÜNCHEN.EXAMPLE --rcpt d@xn--mnchen-3ya.example.org
