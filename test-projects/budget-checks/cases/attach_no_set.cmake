# The set was never declared.
add_library(net_stack STATIC src/ring.c)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack)
