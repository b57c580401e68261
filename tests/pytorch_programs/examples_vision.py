"""Programs in the shape of pytorch/examples' dcgan, super_resolution and fast_neural_style,
the spatial transformer tutorial (affine_grid + grid_sample), and a small U-Net."""

# ruff: noqa: B007, B905, UP008  (tutorial code as PyTorch users write it: super(Net, self), unused loop names, zip)

import numpy as np

from pytorch_programs._weights import load_weights


def _images(torch, shape, seed, low=-1.0, high=1.0):
    return torch.tensor(np.random.default_rng(seed).uniform(low, high, shape))


def dcgan(torch):
    """DCGAN: a generator of ConvTranspose2d + BatchNorm2d + ReLU ending in Tanh, a
    discriminator of Conv2d + LeakyReLU(inplace) ending in Sigmoid, weights_init through
    model.apply with classname.find('Conv'), BCELoss, two Adams with betas, label.fill_."""
    nn, optim = torch.nn, torch.optim
    nz, ngf, ndf, nc = 4, 4, 4, 1

    class Generator(nn.Module):
        def __init__(self):
            super(Generator, self).__init__()
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                nn.Tanh(),
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super(Discriminator, self).__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid(),
            )

        def forward(self, input):
            return self.main(input)

    visited = []

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            visited.append(classname)
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            visited.append(classname)
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.constant_(m.bias, 0)

    torch.set_default_dtype(torch.float64)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    init_std = netG.main[0].weight.std().item()
    load_weights(torch, netG, seed=30, scale=0.3)
    load_weights(torch, netD, seed=31, scale=0.3)
    criterion = nn.BCELoss()
    fixed_noise = _images(torch, (2, nz, 1, 1), seed=32)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    reals = _images(torch, (3, 4, nc, 16, 16), seed=33)
    noises = _images(torch, (3, 4, nz, 1, 1), seed=34)
    log = []
    for i, (data, noise) in enumerate(zip(reals, noises)):
        netD.zero_grad()
        real_cpu = data
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        log.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
    with torch.no_grad():
        fake = netG(fixed_noise).detach().cpu()
    return {"log": log, "fake": fake, "visited": visited, "init_std_small": init_std < 0.05,
            "running_mean": netG.main[1].running_mean, "G": dict(netG.state_dict())}


def super_resolution(torch):
    """super_resolution: four convolutions and nn.PixelShuffle, init.orthogonal_ with
    init.calculate_gain('relu'), Adam on MSELoss and the PSNR of the "test" loop."""
    nn, init, optim = torch.nn, torch.nn.init, torch.optim

    class Net(nn.Module):
        def __init__(self, upscale_factor):
            super(Net, self).__init__()
            self.relu = nn.ReLU()
            self.conv1 = nn.Conv2d(1, 8, (5, 5), (1, 1), (2, 2))
            self.conv2 = nn.Conv2d(8, 8, (3, 3), (1, 1), (1, 1))
            self.conv3 = nn.Conv2d(8, 4, (3, 3), (1, 1), (1, 1))
            self.conv4 = nn.Conv2d(4, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
            self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
            self._initialize_weights()

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.relu(self.conv2(x))
            x = self.relu(self.conv3(x))
            x = self.pixel_shuffle(self.conv4(x))
            return x

        def _initialize_weights(self):
            init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
            init.orthogonal_(self.conv4.weight)

    torch.set_default_dtype(torch.float64)
    model = Net(upscale_factor=2)
    rows = model.conv2.weight.view(8, -1)
    gain = init.calculate_gain("relu")
    orthogonal = torch.allclose(rows @ rows.t(), gain ** 2 * torch.eye(8), atol=1e-6)
    tall = torch.empty(6, 3)
    init.orthogonal_(tall)
    tall_ok = torch.allclose(tall.t() @ tall, torch.eye(3), atol=1e-6)
    load_weights(torch, model, seed=35, scale=0.3)
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    inputs = _images(torch, (2, 2, 1, 6, 6), seed=36, low=0.0)
    targets = _images(torch, (2, 2, 1, 12, 12), seed=37, low=0.0)
    epoch_loss = []
    for epoch in range(2):
        for input, target in zip(inputs, targets):
            optimizer.zero_grad()
            loss = criterion(model(input), target)
            epoch_loss.append(loss.item())
            loss.backward()
            optimizer.step()
    avg_psnr = 0
    with torch.no_grad():
        for input, target in zip(inputs, targets):
            prediction = model(input)
            mse = criterion(prediction, target)
            psnr = 10 * np.log10(1 / mse.item())
            avg_psnr += psnr
    shuffled = nn.PixelShuffle(3)(torch.arange(2 * 18 * 2 * 2).view(2, 18, 2, 2))
    return {"losses": epoch_loss, "psnr": float(avg_psnr / len(inputs)), "orthogonal": orthogonal,
            "tall_orthogonal": tall_ok, "shuffled": shuffled, "out_shape": list(prediction.shape),
            "unshuffled": nn.PixelUnshuffle(3)(shuffled)}


def fast_neural_style(torch):
    """fast_neural_style's transformer net (small): ReflectionPad2d + Conv2d layers,
    InstanceNorm2d(affine=True), residual blocks, upsampling with F.interpolate(nearest) and
    nn.Upsample(bilinear), normalize_batch with new_tensor and div_, the Gram matrix with bmm,
    content + style loss with Adam."""
    nn, F = torch.nn, torch.nn.functional

    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super(ConvLayer, self).__init__()
            reflection_padding = kernel_size // 2
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class ResidualBlock(nn.Module):
        def __init__(self, channels):
            super(ResidualBlock, self).__init__()
            self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in1 = nn.InstanceNorm2d(channels, affine=True)
            self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
            self.in2 = nn.InstanceNorm2d(channels, affine=True)
            self.relu = nn.ReLU()

        def forward(self, x):
            residual = x
            out = self.relu(self.in1(self.conv1(x)))
            out = self.in2(self.conv2(out))
            return out + residual

    class UpsampleConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
            super(UpsampleConvLayer, self).__init__()
            self.upsample = upsample
            self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            x_in = x
            if self.upsample:
                x_in = F.interpolate(x_in, mode="nearest", scale_factor=self.upsample)
            return self.conv2d(self.reflection_pad(x_in))

    class TransformerNet(nn.Module):
        def __init__(self):
            super(TransformerNet, self).__init__()
            self.conv1 = ConvLayer(3, 4, kernel_size=5, stride=1)
            self.in1 = nn.InstanceNorm2d(4, affine=True)
            self.conv2 = ConvLayer(4, 6, kernel_size=3, stride=2)
            self.in2 = nn.InstanceNorm2d(6, affine=True)
            self.res1 = ResidualBlock(6)
            self.deconv1 = UpsampleConvLayer(6, 4, kernel_size=3, stride=1, upsample=2)
            self.in4 = nn.InstanceNorm2d(4, affine=True)
            self.deconv3 = ConvLayer(4, 3, kernel_size=5, stride=1)
            self.relu = torch.nn.ReLU()

        def forward(self, X):
            y = self.relu(self.in1(self.conv1(X)))
            y = self.relu(self.in2(self.conv2(y)))
            y = self.res1(y)
            y = self.relu(self.in4(self.deconv1(y)))
            return self.deconv3(y)

    def gram_matrix(y):
        (b, ch, h, w) = y.size()
        features = y.view(b, ch, w * h)
        features_t = features.transpose(1, 2)
        gram = features.bmm(features_t) / (ch * h * w)
        return gram

    def normalize_batch(batch):
        mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
        std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
        batch = batch.div_(255.0)
        return (batch - mean) / std

    torch.set_default_dtype(torch.float64)
    transformer = load_weights(torch, TransformerNet(), seed=38)
    features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                             nn.Conv2d(4, 4, 3, padding=1), nn.ReLU())
    load_weights(torch, features, seed=39)
    for p in features.parameters():
        p.requires_grad = False
    style = normalize_batch(_images(torch, (1, 3, 8, 8), seed=40, low=0.0, high=255.0))
    gram_style = gram_matrix(features(style))
    optimizer = torch.optim.Adam(transformer.parameters(), 1e-2)
    mse_loss = torch.nn.MSELoss()
    images = _images(torch, (2, 2, 3, 8, 8), seed=41, low=0.0, high=255.0)
    log = []
    for x in images:
        n_batch = len(x)
        optimizer.zero_grad()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y, features_x = features(y), features(x)
        content_loss = 1e2 * mse_loss(features_y, features_x)
        gm_y = gram_matrix(features_y)
        style_loss = 1e4 * mse_loss(gm_y, gram_style[:n_batch, :, :].expand_as(gm_y))
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        log.append([content_loss.item(), style_loss.item()])
    with torch.no_grad():
        output = transformer(images[0]).clamp(0, 255)
    grid = torch.arange(8.0).view(1, 2, 2, 2)
    return {"log": log, "output": output, "in1": transformer.in1.weight,
            "up_nearest": F.interpolate(grid, scale_factor=2), "up_bilinear": F.interpolate(
                grid, size=(3, 5), mode="bilinear", align_corners=True),
            "up_module": nn.Upsample(scale_factor=2, mode="nearest")(grid),
            "in_state": sorted(transformer.in1.state_dict())}


def spatial_transformer(torch):
    """The spatial transformer tutorial: a localisation network whose last Linear starts at
    the identity transform (weight.data.zero_(), bias.data.copy_), F.affine_grid and
    F.grid_sample, Dropout2d, trained with nll_loss."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
            self.conv2 = nn.Conv2d(4, 6, kernel_size=3)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(6 * 2 * 2, 10)
            self.fc2 = nn.Linear(10, 3)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                nn.Conv2d(4, 5, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
            )
            self.fc_loc = nn.Sequential(nn.Linear(5 * 2 * 2, 8), nn.ReLU(True), nn.Linear(8, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 5 * 2 * 2)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            x = F.grid_sample(x, grid, align_corners=False)
            return x

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 6 * 2 * 2)
            x = F.relu(self.fc1(x))
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    torch.set_default_dtype(torch.float64)
    model = Net()
    data = _images(torch, (3, 4, 1, 14, 14), seed=42, low=0.0)
    identity = model.stn(data[0])
    identity_ok = torch.allclose(identity, data[0], atol=1e-6)
    load_weights(torch, model, seed=43, scale=0.3)
    targets = torch.tensor(np.random.default_rng(44).integers(0, 3, (3, 4)))
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    model.train()
    model.conv2_drop.p = 0.0
    losses = []
    for batch_idx, (x, target) in enumerate(zip(data, targets)):
        optimizer.zero_grad()
        output = model(x)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        warped = model.stn(data[0])
        test_loss = F.nll_loss(model(data[1]), targets[1], reduction="sum").item()
        pred = model(data[1]).max(1, keepdim=True)[1]
        correct = pred.eq(targets[1].view_as(pred)).sum().item()
    theta = torch.tensor([[[0.8, -0.3, 0.1], [0.2, 1.1, -0.2]]])
    grid_true = F.affine_grid(theta, (1, 1, 3, 4), align_corners=True)
    border = F.grid_sample(data[0][:1], grid_true * 1.3, mode="bilinear", padding_mode="border",
                           align_corners=True)
    nearest = F.grid_sample(data[0][:1], grid_true * 1.3, mode="nearest", align_corners=False)
    return {"identity": identity_ok, "losses": losses, "warped": warped, "test_loss": test_loss,
            "correct": correct, "grid_true": grid_true, "border": border, "nearest": nearest}


def unet(torch):
    """milesial's Pytorch-UNet (small): DoubleConv (Conv-BN-ReLU twice, bias=False), Down
    (MaxPool2d + DoubleConv), Up by Upsample(bilinear, align_corners=True) or by
    ConvTranspose2d, the skip connection padded with F.pad([diffX // 2, …]) before
    torch.cat, a Dice coefficient on sigmoid outputs plus BCEWithLogitsLoss, RMSprop with
    momentum and foreach, and a ReduceLROnPlateau on the validation Dice."""
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim

    class DoubleConv(nn.Module):
        def __init__(self, in_channels, out_channels, mid_channels=None):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

        def forward(self, x):
            return self.double_conv(x)

    class Down(nn.Module):
        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(nn.Module):
        def __init__(self, in_channels, out_channels, bilinear=True):
            super().__init__()
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
            else:
                self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(in_channels, out_channels)

        def forward(self, x1, x2):
            x1 = self.up(x1)
            diffY = x2.size()[2] - x1.size()[2]
            diffX = x2.size()[3] - x1.size()[3]
            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
            x = torch.cat([x2, x1], dim=1)
            return self.conv(x)

    class UNet(nn.Module):
        def __init__(self, n_channels, n_classes, bilinear=False):
            super(UNet, self).__init__()
            self.inc = DoubleConv(n_channels, 4)
            self.down1 = Down(4, 8)
            factor = 2 if bilinear else 1
            self.down2 = Down(8, 16 // factor)
            self.up1 = Up(16, 8 // factor, bilinear)
            self.up2 = Up(8, 4, bilinear)
            self.outc = nn.Conv2d(4, n_classes, kernel_size=1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x = self.up1(x3, x2)
            x = self.up2(x, x1)
            return self.outc(x)

    def dice_coeff(input, target, reduce_batch_first=False, epsilon=1e-6):
        sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
        inter = 2 * (input * target).sum(dim=sum_dim)
        sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
        sets_sum = torch.where(sets_sum == 0, inter, sets_sum)
        dice = (inter + epsilon) / (sets_sum + epsilon)
        return dice.mean()

    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(120)
    images = torch.tensor(rng.standard_normal((2, 3, 1, 9, 10)))
    masks = torch.tensor((rng.random((2, 3, 1, 9, 10)) > 0.5).astype(np.float64))
    results = {}
    for bilinear in (True, False):
        model = load_weights(torch, UNet(n_channels=1, n_classes=1, bilinear=bilinear), seed=121, scale=0.4)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
        optimizer = optim.RMSprop(model.parameters(), lr=1e-3, weight_decay=1e-8, momentum=0.9, foreach=True)
        scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", patience=0)
        criterion = nn.BCEWithLogitsLoss()
        log = []
        for epoch in range(2):
            model.train()
            for image, true_mask in zip(images[0], masks[0]):
                masks_pred = model(image.unsqueeze(0))
                loss = criterion(masks_pred.squeeze(1), true_mask)
                loss += 1 - dice_coeff(F.sigmoid(masks_pred.squeeze(1)), true_mask.float())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                log.append(loss.item())
            model.eval()
            with torch.no_grad():
                pred = (F.sigmoid(model(images[1])) > 0.5).float()
                val_score = dice_coeff(pred, masks[1], reduce_batch_first=True)
            scheduler.step(val_score)
        results[f"bilinear_{bilinear}"] = {"log": log, "val": val_score.item(), "pred": pred,
                                           "lr": optimizer.param_groups[0]["lr"]}
    return results


PROGRAMS = {f.__name__: f for f in (dcgan, super_resolution, fast_neural_style, spatial_transformer, unet)}
