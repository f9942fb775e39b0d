# The whole policy in monitor mode reports only what enforcement would do (issue 24); compare simulate with monitor = false: accept at MAIL; bad-net for both recipients; postmaster accepted, late@ refused by bad-sender.
$MV simulate -c configs/order-monitor-global.conf --file configs/transactions-order-monitor-global.txt
