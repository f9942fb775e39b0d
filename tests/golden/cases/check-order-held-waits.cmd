$MV check-config -c configs/order-held.conf
