// tapegrad: the whole public API in one include, layer by layer.
#pragma once

// ---- tensor: tensors, dtypes, random numbers, parallel_for, files ----
#include "tensor/atomic_file.h"
#include "tensor/npz.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/tensor.h"
// ---- autograd: the tape, backward, NoGrad, gradcheck, the profiler ----
#include "autograd/gradcheck.h"
#include "autograd/profiler.h"
#include "autograd/tape.h"
// ---- ops, nn, optim, train ----
#include "ops/ops.h"
#include "nn/moment_tracer.h"
#include "nn/moments.h"
#include "nn/nn.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "optim/rmsprop.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "train/checkpoint.h"
#include "train/early_stopping.h"
#include "train/metrics_log.h"
#include "train/progress.h"
#include "train/weights.h"
// ---- datasets: on the tensor layer alone ----
#include "datasets/cifar10.h"
#include "datasets/csv.h"
#include "datasets/dataset.h"
#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "datasets/scaler.h"
