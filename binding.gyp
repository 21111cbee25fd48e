{"targets":[{"target_name":"anypick_udp","sources":["native/udp-batch.cc"]},{"target_name":"anypick_sockopt","sources":["native/sockopt.cc"]}]}
