$MV test --client 192.0.2.1 --frob
