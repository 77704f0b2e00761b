// Everything in nn/.
#pragma once

#include "nn/highway.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/models.h"
#include "nn/module.h"
#include "nn/residual.h"
#include "nn/weight_norm.h"
