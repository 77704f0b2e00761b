// Everything in nn/.
#pragma once

#include "nn/init.h"
#include "nn/layers.h"
#include "nn/module.h"
