{"targets":[{"target_name":"anypick_sockopt","sources":["native/sockopt.cc"]}]}
