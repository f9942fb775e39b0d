$MV check-config -c configs/order-refusals.conf
