{"targets":[{"target_name":"anypick_udp","sources":["native/udp-batch.cc"]}]}
