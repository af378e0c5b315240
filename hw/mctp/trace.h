#include "trace/trace-hw_mctp.h"
