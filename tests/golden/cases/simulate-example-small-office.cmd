# config/examples/small-office.conf as shipped; rules exercised: transaction 1 office-and-vpn (accept), 2 forged-helo (reject), 3 closed-mailbox (reject) and mark-checked (continue, header).
$MV simulate -c ../../config/examples/small-office.conf --file configs/examples/small-office.txt
