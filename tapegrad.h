// tapegrad: the whole public API in one include.
#pragma once

#include "autograd/gradcheck.h"
#include "autograd/parallel.h"
#include "autograd/random.h"
#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "nn/nn.h"
#include "ops/ops.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
