$MV check-config -c configs/order-data.conf
